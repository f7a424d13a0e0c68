import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { evaluate } from "policyc/testing";
import teamLabel from "../policies/team-label.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../policies/fixtures/${name}`, import.meta.url));
const shop = (team: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "acme.io/team": team } } });

describe("team-label-matches-namespace", () => {
  it("allows a Deployment of its namespace's team", async () => {
    expect(await evaluate(teamLabel, fixture("web-deployment.yaml"), { namespaces: [shop("shop")] })).toAllow();
  });

  it("denies a Deployment labelled for another team, naming the namespace's", async () => {
    expect(await evaluate(teamLabel, fixture("web-deployment.yaml"), { namespaces: [shop("payments")] })).toDeny(
      "must carry the team label of namespace shop (payments)",
    );
  });

  it("denies a Deployment in a namespace without a team", async () => {
    const verdict = await evaluate(teamLabel, fixture("web-deployment.yaml"));
    expect(verdict).toDeny(/team label/);
    expect(verdict).not.toAllow();
  });

  it("does not apply to Pods", async () => {
    expect(await evaluate(teamLabel, fixture("untrusted-image.yaml"), { namespaces: [shop("shop")] })).toSkip();
  });
});
