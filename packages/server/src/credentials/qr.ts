/**
 * QR codes as self-contained SVG (for the TOTP enrolment page): one <path> of dark modules with a
 * four-module quiet zone, no scripts, no external references, so it can be inlined under a strict
 * Content-Security-Policy. The matrix comes from the qrcode package (error correction M).
 */
import QRCode from 'qrcode';

export function qrSvg(text: string): string {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size;
  const quiet = 4;
  const total = size + quiet * 2;
  let path = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (modules.get(row, col)) path += `M${col + quiet} ${row + quiet}h1v1h-1z`;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" shape-rendering="crispEdges" role="img" aria-label="QR code">` +
    `<rect width="${total}" height="${total}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
  );
}
