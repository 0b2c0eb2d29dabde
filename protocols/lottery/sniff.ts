// Protocol detection by the first byte of a connection (lottery.md §6):
//   0x00-0x1F -> B (the high byte of a big-endian length <= 8190 = 0x1FFE)
//   'B' 'F'   -> A (the first 3 bytes must then be BET or FIN; the A decoder checks that)
//   'L'       -> A, our resume query LST (protocol-a.ts; legacy clients never send it)
//   other     -> invalid (a real protocol error)
// Echo mode is chosen by configuration, never detected.

export type Sniffed = 'A' | 'B' | 'invalid';

export function sniff(firstByte: number): Sniffed {
  if (firstByte >= 0x00 && firstByte <= 0x1f) return 'B';
  if (firstByte === 0x42 || firstByte === 0x46 || firstByte === 0x4c) return 'A';
  return 'invalid';
}
