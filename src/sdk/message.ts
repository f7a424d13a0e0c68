import type { Message, MessagePart } from "../ir/index.js";
import { SdkError } from "./errors.js";
import { paramRefOf } from "./params.js";
import { refStateOf, valueOfRef } from "./ref-state.js";
import { callerLocation } from "./source.js";

/** Turns tagged-template pieces into message parts; references and parameters become interpolated values. */
export function toMessage(strings: TemplateStringsArray | string | readonly string[], values: readonly unknown[]): Message {
  const source = callerLocation();
  if (typeof strings === "string") return { parts: [{ kind: "text", text: strings }], source };
  if (!Array.isArray(strings)) throw new SdkError("invalid_policy", "message() takes a string or a tagged template", source);
  const parts: MessagePart[] = [];
  const text = (t: string) => {
    if (t === "") return;
    const prev = parts[parts.length - 1];
    if (prev?.kind === "text") parts[parts.length - 1] = { kind: "text", text: prev.text + t };
    else parts.push({ kind: "text", text: t });
  };
  strings.forEach((s: string, i: number) => {
    text(s);
    if (i >= values.length) return;
    const v = values[i];
    const ref = refStateOf(v);
    const param = paramRefOf(v);
    if (ref) parts.push({ kind: "value", value: valueOfRef(ref, source, "an interpolated value") });
    else if (param) parts.push({ kind: "value", value: { ...param, source } });
    else text(String(v));
  });
  return { parts, source };
}
