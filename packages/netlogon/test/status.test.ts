/**
 * NTSTATUS of a network logon → the SECURITY_STATUS Windows' NTLM returns.
 */
import { describe, expect, it } from "@effect/vitest"
import { logonError, NtStatus } from "../src/internal/nrpc/status.ts"

const of = (status: number) => {
  const e = logonError(status, "dc1.corp.test")
  return { tag: e._tag, status: e.status, detail: e.detail }
}

describe("NTSTATUS → SECURITY_STATUS", () => {
  it("wrong password, unknown user and logon failure: one status and one detail (the answer does not tell which)", () => {
    const answers = [NtStatus.WRONG_PASSWORD, NtStatus.NO_SUCH_USER, NtStatus.LOGON_FAILURE].map(of)
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1)
    expect(answers[0]).toEqual({ tag: "LogonDenied", status: "SEC_E_LOGON_DENIED", detail: "the domain controller refused the logon" })
  })

  it("account conditions are SEC_E_LOGON_DENIED naming the condition", () => {
    expect(of(NtStatus.ACCOUNT_DISABLED)).toEqual({ tag: "LogonDenied", status: "SEC_E_LOGON_DENIED", detail: "the account is disabled" })
    expect(of(NtStatus.ACCOUNT_LOCKED_OUT).detail).toBe("the account is locked out")
    expect(of(NtStatus.PASSWORD_EXPIRED).detail).toBe("the password has expired")
    expect(of(NtStatus.PASSWORD_MUST_CHANGE).detail).toBe("the password must be changed")
    expect(of(NtStatus.ACCOUNT_EXPIRED).detail).toBe("the account has expired")
    for (const s of [NtStatus.ACCOUNT_RESTRICTION, NtStatus.INVALID_LOGON_HOURS, NtStatus.INVALID_WORKSTATION]) {
      expect(of(s).status).toBe("SEC_E_LOGON_DENIED")
    }
  })

  it("trust and DC trouble is SEC_E_NO_AUTHENTICATING_AUTHORITY naming the DC; a malformed response SEC_E_INVALID_TOKEN", () => {
    for (const s of [NtStatus.NO_LOGON_SERVERS, NtStatus.NO_SUCH_DOMAIN, NtStatus.TRUSTED_RELATIONSHIP_FAILURE, NtStatus.ACCESS_DENIED]) {
      expect(of(s).status).toBe("SEC_E_NO_AUTHENTICATING_AUTHORITY")
      expect(of(s).detail).toContain("dc1.corp.test")
    }
    expect(of(NtStatus.INVALID_PARAMETER).status).toBe("SEC_E_INVALID_TOKEN")
    expect(of(0xc0000001)).toEqual({ tag: "InternalError", status: "SEC_E_INTERNAL_ERROR", detail: "domain controller dc1.corp.test: NTSTATUS 0xc0000001" })
  })
})
