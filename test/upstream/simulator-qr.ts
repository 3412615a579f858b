import { PNG } from 'pngjs';
import { create } from 'qrcode';

/** Pixels per QR module, and the quiet zone around the symbol in modules (the QR standard asks for 4). */
const SCALE = 5;
const MARGIN = 4;
const BLACK = 0;
const WHITE = 255;

/**
 * A scannable QR code of `code` as a PNG data URL, in the shape Evolution API sends (`data:image/png;base64,...`), so
 * a dashboard shows a real QR image. Built synchronously (qrcode's matrix, pngjs's synchronous writer) so that a
 * connect is answered at once, with its QR, as before.
 */
export function qrDataUrl(code: string): string {
  const { modules } = create(code, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 2 * MARGIN) * SCALE;
  const png = new PNG({ width: side, height: side });
  for (let y = 0; y < side; y += 1) {
    const row = Math.floor(y / SCALE) - MARGIN;
    for (let x = 0; x < side; x += 1) {
      const column = Math.floor(x / SCALE) - MARGIN;
      const inside = row >= 0 && column >= 0 && row < modules.size && column < modules.size;
      const value = inside && modules.get(row, column) ? BLACK : WHITE;
      const offset = (y * side + x) * 4;
      png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = value;
      png.data[offset + 3] = 255;
    }
  }
  // Grey scale without alpha: a QR code needs nothing more, and the data URL stays a few kilobytes.
  const file = PNG.sync.write(png, { colorType: 0, inputColorType: 6, inputHasAlpha: true });
  return `data:image/png;base64,${file.toString('base64')}`;
}
