import type { Message, MessagePart } from "../ir/index.js";
import { paramRefOf } from "./params.js";
import { fieldOf, refStateOf } from "./ref-state.js";
import { callerLocation } from "./source.js";

/** Turns tagged-template pieces into message parts; references become interpolated values. */
export function toMessage(strings: TemplateStringsArray | string, values: readonly unknown[]): Message {
  const source = callerLocation();
  if (typeof strings === "string") return { parts: [{ kind: "text", text: strings }], source };
  const parts: MessagePart[] = [];
  const text = (t: string) => {
    if (t === "") return;
    const prev = parts[parts.length - 1];
    if (prev?.kind === "text") parts[parts.length - 1] = { kind: "text", text: prev.text + t };
    else parts.push({ kind: "text", text: t });
  };
  strings.forEach((s, i) => {
    text(s);
    if (i >= values.length) return;
    const v = values[i];
    const ref = refStateOf(v);
    const param = paramRefOf(v);
    if (ref) parts.push({ kind: "value", value: fieldOf(v, "an interpolated value") });
    else if (param) parts.push({ kind: "value", value: param });
    else text(String(v));
  });
  return { parts, source };
}
