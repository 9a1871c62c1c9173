/** Percent-decoded, or undefined when the encoding is malformed (`%`, `%E0%A4%A`). */
export function decodedOrUndefined(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
