/**
 * The attributes a caller's request makes mandatory at the Effect-native
 * level (issue 9 H): SSPI grants what it can and leaves the check to the
 * caller ("the caller should check the returned attributes", the
 * InitializeSecurityContext / AcceptSecurityContext pages: pfContextAttr),
 * and a caller that forgets accepts, e.g., a context without replay
 * detection whose MIC/Wrap replays then pass.
 */
import { AscReq, IscReq } from "../Flags.ts"

/** The protection bits checked (ISC_REQ_x == ISC_RET_x and ASC_REQ_x == ASC_RET_x for each). */
const PROTECTION = {
  initiator: IscReq.MUTUAL_AUTH | IscReq.REPLAY_DETECT | IscReq.SEQUENCE_DETECT | IscReq.CONFIDENTIALITY | IscReq.INTEGRITY,
  acceptor: AscReq.MUTUAL_AUTH | AscReq.REPLAY_DETECT | AscReq.SEQUENCE_DETECT | AscReq.CONFIDENTIALITY | AscReq.INTEGRITY
} as const

/** The protection bits asked for in `contextReq` that `granted` lacks (0 when all were granted). */
export const missingAttributes = (role: "initiator" | "acceptor", contextReq: number, granted: number): number =>
  contextReq & PROTECTION[role] & ~granted
