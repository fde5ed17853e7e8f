/** One-line renderings of handshake legs (names, flags, sizes; never token bytes). */
import { Flags } from "@effect-sspi/core"
import type { SspiClient, SspiServer } from "@effect-sspi/http"

const flags = (table: Readonly<Record<string, number>>, bits: number) => {
  const names = Flags.flagNames(table, bits)
  return names.length === 0 ? "-" : names.join("|")
}

export const clientLeg = (leg: SspiClient.ClientLeg): string =>
  `client ${leg.packageName.padEnd(9)} ${leg.status.padEnd(22)} recv ${String(leg.receivedTokenSize).padStart(4)} B  sent ${
    String(leg.sentTokenSize).padStart(4)
  } B  ${leg.httpStatus === undefined ? "" : `→ HTTP ${leg.httpStatus}  `}flags ${flags(Flags.IscRet, leg.attributes)}`

export const serverLeg = (leg: SspiServer.ServerLeg): string =>
  `server ${leg.packageName.padEnd(9)} ${leg.status.padEnd(22)} recv ${String(leg.receivedTokenSize).padStart(4)} B  sent ${
    String(leg.sentTokenSize).padStart(4)
  } B  flags ${flags(Flags.AscRet, leg.attributes)}`
