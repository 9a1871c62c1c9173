/** Packed RGB8 (StreamDiffusionTD's buffers) <-> RGBA8 (the engine's frames), opaque alpha. */
export function rgbToRgba(rgb: Uint8Array, rgba: Uint8Array): void {
  for (let i = 0, o = 0; o < rgba.length; i += 3, o += 4) {
    rgba[o] = rgb[i]!;
    rgba[o + 1] = rgb[i + 1]!;
    rgba[o + 2] = rgb[i + 2]!;
    rgba[o + 3] = 255;
  }
}

export function rgbaToRgb(rgba: Uint8Array, rgb: Uint8Array): void {
  for (let i = 0, o = 0; o < rgb.length; i += 4, o += 3) {
    rgb[o] = rgba[i]!;
    rgb[o + 1] = rgba[i + 1]!;
    rgb[o + 2] = rgba[i + 2]!;
  }
}
