/**
 * Where the peer scripts live and which interpreter runs them.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"

/** Absolute path of `scripts/peers/` in the repository. */
export const peersDir: string = fileURLToPath(new URL("../../../scripts/peers/", import.meta.url))

/** Absolute path of `scripts/peers/drivers/`. */
export const driversDir: string = fileURLToPath(new URL("../../../scripts/peers/drivers/", import.meta.url))

/** `scripts/peers/krb5-realm.sh`. */
export const realmScript: string = `${peersDir}krb5-realm.sh`

/** `scripts/peers/install.sh`. */
export const installScript: string = `${peersDir}install.sh`

/**
 * OpenSSL configuration enabling the `default` and `legacy` providers (MD4,
 * RC4, DES). Give it as `OPENSSL_CONF` to curl and python3-ntlm-auth.
 */
export const opensslLegacyConf: string = `${peersDir}openssl-legacy.cnf`

/**
 * Debian's own Python: python3-gssapi and python3-ntlm-auth are installed for
 * it, not for a `python3` another installation may put first on `PATH`.
 */
export const python: string = "/usr/bin/python3"

/** `drivers/gss_peer.py`. */
export const gssPeerScript: string = `${driversDir}gss_peer.py`

/** `drivers/ntlm_auth_client.py`. */
export const ntlmAuthClientScript: string = `${driversDir}ntlm_auth_client.py`

/** Mechanism OIDs understood by the drivers' `--mech`. */
export const MechOid = {
  ntlm: "1.3.6.1.4.1.311.2.2.10",
  krb5: "1.2.840.113554.1.2.2",
  spnego: "1.3.6.1.5.5.2"
} as const
