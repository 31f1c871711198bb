/** `tapwire filter`: explain a filter expression (placeholder until the full command lands). */
export async function filterCommand(argv: string[]): Promise<number> {
  void argv;
  return 0;
}
