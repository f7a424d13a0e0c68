import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "lone-surrogate",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.metadata.labels.at("team").exists().message`half an emoji: \ud83d`,
});
