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

/** The directed links (as "x,y>x,y" keys) an XY route from core a to core b crosses. */
export function xyRoute(width: number, a: number, b: number): string[] {
  const p = coreXY(width, a);
  const q = coreXY(width, b);
  const links: string[] = [];
  let { x, y } = p;
  while (x !== q.x) {
    const nx = x + Math.sign(q.x - x);
    links.push(`${x},${y}>${nx},${y}`);
    x = nx;
  }
  while (y !== q.y) {
    const ny = y + Math.sign(q.y - y);
    links.push(`${x},${y}>${x},${ny}`);
    y = ny;
  }
  return links;
}
