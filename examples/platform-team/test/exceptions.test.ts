import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { evaluate } from "policyc/testing";
import { breakGlass, ciliumHostNetwork } from "../policies/exceptions.ts";
import { clusterAdmins, hostNamespaces } from "../policies/library.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../policies/fixtures/${name}`, import.meta.url));

describe("exceptions, evaluated with the policies they name", () => {
  it("Cilium's DaemonSet and its pods may use the host's network", async () => {
    expect(await evaluate(hostNamespaces, fixture("cilium-daemonset.yaml"), { exceptions: [ciliumHostNetwork] })).toSkip();
    // The same objects without the exception: denied.
    expect(await evaluate(hostNamespaces, fixture("cilium-daemonset.yaml"))).toDeny("hostNetwork");
  });

  it("nothing beside it: the same DaemonSet in another namespace, another DaemonSet in kube-system", async () => {
    const neighbours = await evaluate(hostNamespaces, fixture("host-network-neighbours.yaml"), { exceptions: [ciliumHostNetwork] });
    expect(neighbours.documents.map((d) => d.verdict)).toEqual(["deny", "deny"]);
  });

  it("the break-glass group may bind cluster-admin; an exception naming another policy changes nothing", async () => {
    const oncall = { username: "oncall@acme.io", groups: ["acme:break-glass"] };
    expect(await evaluate(clusterAdmins, fixture("cluster-admin-binding.yaml"), { userInfo: oncall, exceptions: [breakGlass] })).toSkip();
    expect(
      await evaluate(clusterAdmins, fixture("cluster-admin-binding.yaml"), { userInfo: oncall, exceptions: [ciliumHostNetwork] }),
    ).toDeny("may not be bound to cluster-admin");
  });
});
