export function connectors(): string {
  return 'connectors';
}
