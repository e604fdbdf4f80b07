/**
 * Core k of a W-wide mesh sits on a serpentine path: row y = floor(k / W), left to right on even
 * rows and right to left on odd ones, so cores k and k+1 are always neighbours. Packets take
 * dimension-ordered (XY) routes: along x first, then along y; the hop count is the Manhattan
 * distance.
 */
export function coreXY(width: number, core: number): { x: number; y: number } {
  const y = Math.floor(core / width);
  const r = core - y * width;
  return { x: y % 2 === 0 ? r : width - 1 - r, y };
}

export function hopsBetween(width: number, a: number, b: number): number {
  const p = coreXY(width, a);
  const q = coreXY(width, b);
  return Math.abs(p.x - q.x) + Math.abs(p.y - q.y);
}

/**
 * The directed links an XY route from core a to core b crosses, as numbers: the link leaving
 * router (x, y) in direction d (0 +x, 1 -x, 2 +y, 3 -y) is (y·W + x)·4 + d. Its length is the
 * hop count.
 */
export function xyLinks(width: number, a: number, b: number): Int32Array {
  const p = coreXY(width, a);
  const q = coreXY(width, b);
  const links: number[] = [];
  let { x, y } = p;
  while (x !== q.x) {
    links.push((y * width + x) * 4 + (q.x > x ? 0 : 1));
    x += Math.sign(q.x - x);
  }
  while (y !== q.y) {
    links.push((y * width + x) * 4 + (q.y > y ? 2 : 3));
    y += Math.sign(q.y - y);
  }
  return Int32Array.from(links);
}
