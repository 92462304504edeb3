"""Sample sources shared by the debugger tests."""

INDEX = """\
import { helper, Counter, makeAdder } from "./lib";

const GREETING = "hi";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    let total = 0;
    for (let i = 0; i < 5; i++) {
      total += i;
    }
    const doubled = [1, 2, 3].map((x) => x * 2);
    const v = await helper(total);
    const c = new Counter(5);
    const bumped = c.bump();
    const add = makeAdder(10);
    const r = add(v);
    // a comment line

    return new Response(`${GREETING} ${url.pathname} ${v} ${doubled} ${bumped} ${r}`);
  },
};
"""

LIB = """\
export async function helper(n: number): Promise<number> {
  const base = n * 2;
  await Promise.resolve();
  const after = base + 1;
  return after;
}

export class Counter {
  count: number;
  constructor(start: number) {
    this.count = start;
  }
  bump(): number {
    this.count++;
    return this.count;
  }
}

export function makeAdder(k: number): (x: number) => number {
  const label = "adder";
  return (x: number) => {
    const sum = x + k;
    return sum;
  };
}
"""
