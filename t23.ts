import { Fnv64 } from './src/verify-c.ts';
const f = new Fnv64(); for (const b of Buffer.from('hello')) f.byte(b); console.log(f.hex());
