// The --help texts of `warden` and its commands. Kept together so they read as one manual and
// stay consistent with docs/admin.md.

export const SERVE_HELP = `Usage: warden [options]                start the broker
       warden passwd [--scram]         hash a password for the config
       warden admin <command> [...]    manage a running broker's entitlements and TLS certificates

Start the Warden broker: its listeners, and the admin HTTP listener unless admin.enabled is false.

Options:
  -c, --config PATH   YAML config file (default: $WARDEN_CONFIG, else the embedded config/warden.yaml)
  -h, --help          show this help
  -v, --version       print the version

Commands (each takes --help):
  passwd   read a password from stdin and print its hash, ready to paste into the config
  admin    status, reset, disable or enable entitlements, reload TLS certificates, or show
           admitted connections, through the admin HTTP listener

Signals: SIGINT or SIGTERM close the listeners, send close frames to clients and exit 0.
SIGHUP re-reads the certificate, key and CA files of every TLS profile (docs/tls.md).
Exit status 4: the store (persistence.path) cannot be opened; the message says why (docs/persistence.md).
Documentation: README.md and docs/ in the package (docs/admin.md for passwd and admin).
`;

export const PASSWD_HELP = `Usage: warden passwd [--scram]

Read a password and print its hash as YAML lines, ready to paste into a user entry of the config.
At a terminal the password is asked for twice, without echo. Otherwise the first line of stdin is
read (for example: printf '%s\\n' "$PASSWORD" | warden passwd); its line ending is not part of the
password. The password is never taken as an argument: other users could read it with ps.

Options:
  --scram      also print the SCRAM-SHA-256 credentials, for clients that log on with SCRAM
  -h, --help   show this help

Output:
  hash: "scrypt$N=16384,r=8,p=1$<salt>$<key>"
  scram: "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>"   (with --scram)
Both values are secrets in the sense that they allow guessing the password offline: keep them out
of logs and version control, e.g. in a file read with \${file:PATH}.

Exit status: 0 printed; 1 empty password, the two entries differ, or nothing on stdin;
2 usage error; 130 interrupted.
`;

export const ADMIN_HELP = `Usage: warden admin <command> [options]

Manage the entitlements and TLS certificates of a running broker, and see its admitted
connections, through its admin HTTP listener (docs/admin.md).

Commands:
  status               show whether entitlements are enabled, and cache and module counters
  reset [--user NAME]  clear cached entitlements (of user NAME, else of everyone) and disconnect
                       the affected connections (close 4004) so they reconnect under current rules
  disable              allow everything, cache nothing, until enabled again
  enable               entitle again with fresh module contexts and an empty cache; existing
                       connections keep what they have, so follow with a reset
  reload-tls           re-read every TLS profile's certificate, key and CA files; new
                       connections get the new certificate (a profile whose new files are bad
                       keeps its old one: exit status 1)
  connections          show the connections admission control counts (in all, per user, per
                       remote host) and how many it refused, by reason (docs/admission.md)

Where the broker is:
  --url URL            the admin listener's base URL, e.g. http://127.0.0.1:8801
  -c, --config PATH    else admin.host and admin.port from this config (default: $WARDEN_CONFIG,
                       else the embedded default), else http://127.0.0.1:8801

Credentials come from environment variables, never from arguments (other users can read
arguments with ps):
  WARDEN_ADMIN_USER and WARDEN_ADMIN_PASSWORD   user name and password (HTTP Basic)
  WARDEN_ADMIN_TOKEN                            a token (HTTP Bearer)
  --user-name NAME     the user name, instead of $WARDEN_ADMIN_USER (a name is not a secret)
  --password-env VAR   read the password from $VAR instead of $WARDEN_ADMIN_PASSWORD
  --token-env VAR      read the token from $VAR instead of $WARDEN_ADMIN_TOKEN
Set either a password or a token, not both.

  -h, --help           show this help

Output: the broker's JSON answer on stdout; errors on stderr.
Exit status: 0 done; 1 failed (HTTP error, broker unreachable, unreadable config, a TLS profile
not reloaded); 2 usage error
(including missing credentials); 3 refused: authentication failed (HTTP 401) or the user is not
entitled to the action (HTTP 403).
`;
