/** Display names of Kerberos numbers (RFC 3961/3962/4757/8009, RFC 4120 sections 6.2, 7.5.8, 7.5.9; MIT's enctype names). */

/** Encryption types by number: MIT's names (klist -e). */
export const enctypeNames: Readonly<Record<number, string>> = {
  1: "des-cbc-crc",
  2: "des-cbc-md4",
  3: "des-cbc-md5",
  5: "des3-cbc-md5",
  7: "des3-cbc-sha1-old",
  16: "des3-cbc-sha1",
  17: "aes128-cts-hmac-sha1-96",
  18: "aes256-cts-hmac-sha1-96",
  19: "aes128-cts-hmac-sha256-128",
  20: "aes256-cts-hmac-sha384-192",
  23: "arcfour-hmac",
  24: "arcfour-hmac-exp",
  25: "camellia128-cts-cmac",
  26: "camellia256-cts-cmac"
}

/** MIT's name, or "etype N". */
export const enctypeName = (n: number): string => enctypeNames[n] ?? `etype ${n}`

/** pyspnego-style constant name with the number: `AES256_CTS_HMAC_SHA1_96 (18)`. */
export const enctypeLabel = (n: number): string => {
  const name = n === 23 ? "RC4_HMAC" : enctypeNames[n]?.replace(/-/g, "_").toUpperCase()
  return name === undefined ? `UNKNOWN (${n})` : `${name} (${n})`
}

/** Principal name types (RFC 4120 section 6.2, RFC 6111). */
export const nameTypes: Readonly<Record<number, string>> = {
  0: "NT-UNKNOWN",
  1: "NT-PRINCIPAL",
  2: "NT-SRV-INST",
  3: "NT-SRV-HST",
  4: "NT-SRV-XHST",
  5: "NT-UID",
  6: "NT-X500-PRINCIPAL",
  7: "NT-SMTP-NAME",
  10: "NT-ENTERPRISE",
  [-128]: "NT-MS-PRINCIPAL",
  [-129]: "NT-MS-PRINCIPAL-AND-ID",
  [-130]: "NT-ENT-PRINCIPAL-AND-ID"
}

/** KDC options (RFC 4120 section 5.4.1), by bit number. */
export const kdcOptionBits: Readonly<Record<number, string>> = {
  0: "reserved",
  1: "forwardable",
  2: "forwarded",
  3: "proxiable",
  4: "proxy",
  5: "allow-postdate",
  6: "postdated",
  8: "renewable",
  14: "cname-in-addl-tkt",
  15: "canonicalize",
  16: "request-anonymous",
  26: "disable-transited-check",
  27: "renewable-ok",
  28: "enc-tkt-in-skey",
  30: "renew",
  31: "validate"
}

/** Ticket flags (RFC 4120 section 5.3), by bit number. */
export const ticketFlagBits: Readonly<Record<number, string>> = {
  0: "reserved",
  1: "forwardable",
  2: "forwarded",
  3: "proxiable",
  4: "proxy",
  5: "may-postdate",
  6: "postdated",
  7: "invalid",
  8: "renewable",
  9: "initial",
  10: "pre-authent",
  11: "hw-authent",
  12: "transited-policy-checked",
  13: "ok-as-delegate",
  15: "enc-pa-rep",
  16: "anonymous"
}

/** AP options (RFC 4120 section 5.5.1), by bit number. */
export const apOptionBits: Readonly<Record<number, string>> = { 0: "reserved", 1: "use-session-key", 2: "mutual-required" }

/** The names of the set bits of a 32-bit KerberosFlags value (bit 0 = most significant). */
export const flagBitNames = (table: Readonly<Record<number, string>>, value: number): Array<string> => {
  const out: Array<string> = []
  for (let bit = 0; bit < 32; bit++) {
    if ((value >>> (31 - bit)) & 1) out.push(table[bit] ?? `bit-${bit}`)
  }
  return out
}

/** Message types (RFC 4120 section 5.10 and 7.5.7). */
export const messageTypes: Readonly<Record<number, string>> = {
  10: "AS-REQ",
  11: "AS-REP",
  12: "TGS-REQ",
  13: "TGS-REP",
  14: "AP-REQ",
  15: "AP-REP",
  20: "KRB-SAFE",
  21: "KRB-PRIV",
  22: "KRB-CRED",
  30: "KRB-ERROR"
}

/** Pre-authentication data types (RFC 4120 section 7.5.2, RFC 6113, MS-KILE). */
export const paDataTypes: Readonly<Record<number, string>> = {
  1: "PA-TGS-REQ",
  2: "PA-ENC-TIMESTAMP",
  3: "PA-PW-SALT",
  11: "PA-ETYPE-INFO",
  14: "PA-PK-AS-REQ_OLD",
  15: "PA-PK-AS-REP_OLD",
  16: "PA-PK-AS-REQ",
  17: "PA-PK-AS-REP",
  19: "PA-ETYPE-INFO2",
  20: "PA-SVR-REFERRAL-INFO",
  128: "PA-PAC-REQUEST",
  129: "PA-FOR-USER",
  133: "PA-FX-COOKIE",
  136: "PA-FX-FAST",
  137: "PA-FX-ERROR",
  138: "PA-ENCRYPTED-CHALLENGE",
  147: "PA-PKINIT-KX",
  149: "PA-REQ-ENC-PA-REP",
  150: "PA-AS-FRESHNESS",
  151: "PA-SPAKE",
  161: "PA-KERB-KEY-LIST-REQ",
  162: "PA-KERB-KEY-LIST-REP",
  165: "PA-SUPPORTED-ETYPES",
  166: "PA-EXTENDED-ERROR",
  167: "PA-PAC-OPTIONS"
}

/** Error codes (RFC 4120 section 7.5.9). */
export const errorCodes: Readonly<Record<number, string>> = {
  0: "KDC_ERR_NONE", 1: "KDC_ERR_NAME_EXP", 2: "KDC_ERR_SERVICE_EXP", 3: "KDC_ERR_BAD_PVNO", 4: "KDC_ERR_C_OLD_MAST_KVNO",
  5: "KDC_ERR_S_OLD_MAST_KVNO", 6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
  8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE", 9: "KDC_ERR_NULL_KEY", 10: "KDC_ERR_CANNOT_POSTDATE", 11: "KDC_ERR_NEVER_VALID",
  12: "KDC_ERR_POLICY", 13: "KDC_ERR_BADOPTION", 14: "KDC_ERR_ETYPE_NOSUPP", 15: "KDC_ERR_SUMTYPE_NOSUPP",
  16: "KDC_ERR_PADATA_TYPE_NOSUPP", 17: "KDC_ERR_TRTYPE_NOSUPP", 18: "KDC_ERR_CLIENT_REVOKED", 19: "KDC_ERR_SERVICE_REVOKED",
  20: "KDC_ERR_TGT_REVOKED", 21: "KDC_ERR_CLIENT_NOTYET", 22: "KDC_ERR_SERVICE_NOTYET", 23: "KDC_ERR_KEY_EXPIRED",
  24: "KDC_ERR_PREAUTH_FAILED", 25: "KDC_ERR_PREAUTH_REQUIRED", 26: "KDC_ERR_SERVER_NOMATCH", 27: "KDC_ERR_MUST_USE_USER2USER",
  28: "KDC_ERR_PATH_NOT_ACCEPTED", 29: "KDC_ERR_SVC_UNAVAILABLE", 31: "KRB_AP_ERR_BAD_INTEGRITY", 32: "KRB_AP_ERR_TKT_EXPIRED",
  33: "KRB_AP_ERR_TKT_NYV", 34: "KRB_AP_ERR_REPEAT", 35: "KRB_AP_ERR_NOT_US", 36: "KRB_AP_ERR_BADMATCH",
  37: "KRB_AP_ERR_SKEW", 38: "KRB_AP_ERR_BADADDR", 39: "KRB_AP_ERR_BADVERSION", 40: "KRB_AP_ERR_MSG_TYPE",
  41: "KRB_AP_ERR_MODIFIED", 42: "KRB_AP_ERR_BADORDER", 44: "KRB_AP_ERR_BADKEYVER", 45: "KRB_AP_ERR_NOKEY",
  46: "KRB_AP_ERR_MUT_FAIL", 47: "KRB_AP_ERR_BADDIRECTION", 48: "KRB_AP_ERR_METHOD", 49: "KRB_AP_ERR_BADSEQ",
  50: "KRB_AP_ERR_INAPP_CKSUM", 51: "KRB_AP_PATH_NOT_ACCEPTED", 52: "KRB_ERR_RESPONSE_TOO_BIG", 60: "KRB_ERR_GENERIC",
  61: "KRB_ERR_FIELD_TOOLONG", 62: "KDC_ERROR_CLIENT_NOT_TRUSTED", 63: "KDC_ERROR_KDC_NOT_TRUSTED",
  64: "KDC_ERROR_INVALID_SIG", 65: "KDC_ERR_KEY_TOO_WEAK", 66: "KDC_ERR_CERTIFICATE_MISMATCH", 67: "KRB_AP_ERR_NO_TGT",
  68: "KDC_ERR_WRONG_REALM", 69: "KRB_AP_ERR_USER_TO_USER_REQUIRED", 70: "KDC_ERR_CANT_VERIFY_CERTIFICATE",
  71: "KDC_ERR_INVALID_CERTIFICATE", 72: "KDC_ERR_REVOKED_CERTIFICATE", 73: "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
  74: "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", 75: "KDC_ERR_CLIENT_NAME_MISMATCH", 76: "KDC_ERR_KDC_NAME_MISMATCH",
  90: "KDC_ERR_PREAUTH_EXPIRED", 91: "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED", 92: "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET",
  93: "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS"
}

/** Checksum types (RFC 3961 section 8, RFC 8009, RFC 4757, RFC 4121 section 4.1.1). */
export const checksumTypes: Readonly<Record<number, string>> = {
  1: "CRC32", 2: "RSA_MD4", 3: "RSA_MD4_DES", 7: "RSA_MD5", 8: "RSA_MD5_DES", 12: "HMAC_SHA1_DES3_KD",
  15: "HMAC_SHA1_96_AES128", 16: "HMAC_SHA1_96_AES256", 19: "HMAC_SHA256_128_AES128", 20: "HMAC_SHA384_192_AES256",
  [-138]: "HMAC_MD5", 0x8003: "GSS_CHECKSUM (RFC 4121)"
}

/** Authorization data types (RFC 4120 section 7.5.4, MS-KILE). */
export const adTypes: Readonly<Record<number, string>> = {
  1: "AD-IF-RELEVANT", 4: "AD-KDC-ISSUED", 5: "AD-AND-OR", 8: "AD-MANDATORY-FOR-KDC", 128: "AD-WIN2K-PAC",
  141: "KERB-AUTH-DATA-TOKEN-RESTRICTIONS", 142: "KERB-LOCAL", 143: "AD-AUTH-DATA-AP-OPTIONS"
}

/** `NAME (n)` or `n`. */
export const named = (table: Readonly<Record<number, string>>, n: number): string =>
  table[n] === undefined ? `${n}` : `${table[n]} (${n})`
