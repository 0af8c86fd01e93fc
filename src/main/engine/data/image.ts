/** A decoded image: 8-bit, interleaved HWC, gray (1 channel) or RGB (3 channels). */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** ITU-R BT.601 luma weights (what PIL's convert('L') and torchvision's rgb_to_grayscale use). */
export const LUMA_R = 0.299;
export const LUMA_G = 0.587;
export const LUMA_B = 0.114;
