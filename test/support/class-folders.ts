import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** A class-folder data set of 28x28 gray PNGs, `counts` = {class: images}; class '' = unlabelled (flat). */
export async function classFolders(root: string, counts: Record<string, number>): Promise<string> {
  for (const [cls, n] of Object.entries(counts)) {
    const d = cls ? join(root, cls) : root;
    await mkdir(d, { recursive: true });
    for (let i = 0; i < n; i++) {
      const px = Buffer.alloc(28 * 28, (i * 40 + cls.length * 90) % 256);
      await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toFile(join(d, `${i}.png`));
    }
  }
  return root;
}
