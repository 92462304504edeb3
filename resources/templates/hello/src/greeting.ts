/** Build the greeting line. */
export function greeting(word: string, name: string): string {
  return `${word}, ${name}!`;
}
