// The --help texts of `warden` and its commands. Kept together so they read as one manual and
// stay consistent with docs/admin.md.

export const SERVE_HELP = `Usage: warden [options]                start the broker
       warden passwd [--scram]         hash a password for the config
       warden admin <command> [...]    manage a running broker: entitlements, TLS, live reload
       warden store <command> [...]    check, compact, export or import the broker's store

Start the Warden broker: its listeners, and the admin HTTP listener unless admin.enabled is false.

Options:
  -c, --config PATH   YAML config file (default: $WARDEN_CONFIG, else the embedded config/warden.yaml)
  -w, --workers N     run N broker processes sharing the listening ports (or auto: one per CPU);
                      they form a cluster over cluster.redis, which they need (docs/cluster.md)
  -h, --help          show this help
  -v, --version       print the version

Commands (each takes --help):
  passwd   read a password from stdin and print its hash, ready to paste into the config
  admin    status, reset, disable or enable entitlements, see or promote a shadow policy,
           reload TLS certificates or the config, list and close connections, explain a
           decision, through the admin HTTP listener
  store    check, compact, export or import the store (persistence.path) while no broker has it
           open

Signals: SIGINT or SIGTERM close the listeners, send close frames to clients and exit 0.
SIGHUP re-reads the config file and applies what can change live (users, policy, admission and
limits, log.level, TLS files), or nothing if a change needs a restart or the config is invalid;
reload.reset says how entitlements are reset (docs/admin.md, "Live reload").
Exit status 4: the store (persistence.path) cannot be opened; the message says why (docs/persistence.md).
Exit status 5: the cluster's Redis (cluster.redis) cannot be reached at start-up (docs/cluster.md).
Documentation: README.md and docs/ in the package (docs/admin.md for passwd and admin,
docs/persistence.md for store).
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

Manage the entitlements, TLS certificates, config and connections of a running broker through
its admin HTTP listener (docs/admin.md).

Commands:
  status               show whether entitlements are enabled, and cache and module counters
  reset [--user NAME] [--mode disconnect|reevaluate]
                       clear cached entitlements (of user NAME, else of everyone); disconnect
                       (the default, as AMPS) closes the affected connections (4004) so they
                       reconnect under current rules; reevaluate asks the module again for what
                       open connections hold and closes only users whose logon is now denied,
                       ending subscriptions whose read is (docs/entitlement.md#re-evaluation)
  invalidate --user NAME [--action logon|read|write|admin] [--topic T | --path P]
                       forget just those cached answers of NAME and re-evaluate NAME's open
                       connections (docs/entitlement.md#targeted-invalidation)
  disable              allow everything, cache nothing, until enabled again
  enable               entitle again with fresh module contexts and an empty cache; existing
                       connections keep what they have, so follow with a reset
  shadow               show each shadow policy's differences from the live policy: counts by
                       kind, the latest differences with the rules that decided, the users and
                       resources with the most (docs/entitlement.md, "Shadow policy");
                       {"shadows": []} when no module has one
  promote-shadow       make the shadow policies live, then reset every user's entitlements;
                       exit status 1 (HTTP 409) when there is no shadow policy to promote
  reload-tls           re-read every TLS profile's certificate, key and CA files; new
                       connections get the new certificate (a profile whose new files are bad
                       keeps its old one: exit status 1)
  admission            show the connections admission control counts (in all, per user, per
                       remote host) and how many it refused, by reason (docs/admission.md)
  connections [--user NAME] [--host ADDRESS] [--listener NAME] [--protocol native|mqtt|http]
              [--limit N] [--after ID]
                       list this node's open connections (id, user, address, protocol, client
                       id, subscriptions, queued bytes, connect time, message counts), N a page
                       (default 100, at most 1000); the answer's "next" is the --after of the
                       next page
  connection ID        one connection, with its subscription patterns
  kick ID | --user NAME
                       close one connection, or every connection of user NAME (close 4005; MQTT
                       v5 clients get DISCONNECT 0x98, administrative action); exit status 1
                       when there is no connection ID
  cluster              list the cluster's nodes with their liveness, connections and message
                       rates (docs/cluster.md); {"clustered": false} outside a cluster
  explain --user NAME --action logon|read|write|admin [--topic T | --path P] [--listener L]
                       why NAME may or may not do it: the decision, the module, the policy rule
                       that decided, the filter and select list, whether the answer is cached and
                       since when; --topic with read and write, --path (an admin endpoint) with
                       admin; --listener uses that listener's module. Changes nothing; exit
                       status 0 whether the answer is allow or deny
  vhosts               list the vhosts with their connections and limits (docs/vhosts.md)
  history [--limit N]  the latest N admin actions this node audited (default and at most 100),
                       newest first: who, what, when, the status and the result
  reload [--reset disconnect|reevaluate|none]
                       re-read the config file and apply what can change live, or nothing
                       (exit status 1) when a change needs a restart ("refused") or the config
                       is invalid ("error"). When users or policy changed: disconnect clears the
                       entitlement cache and closes the connections (4004); reevaluate asks
                       again and closes only users whose logon is denied; none keeps them.
                       Default: the config's reload.reset. On this node only, in a cluster

With --vhost NAME, status, reset, connections, connection, kick, explain and vhosts act on that
vhost alone (docs/vhosts.md#admin): the request is entitled as /admin/vhosts/NAME/..., which the
vhost's tenant admins may make too.

In a cluster, reset, invalidate, disable, enable, promote-shadow and kick run on every node; the answer's
"nodes" says how many applied them (connections and shadow show only the node asked). With Redis unavailable
they are refused (HTTP 503 UNAVAILABLE, exit status 1).

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
not reloaded, a config not reloaded); 2 usage error
(including missing credentials); 3 refused: authentication failed (HTTP 401) or the user is not
entitled to the action (HTTP 403).
`;

const STORE_WHICH = `Which store:
  --path DIR           the store's directory
  -c, --config PATH    else persistence.path of this config (default: $WARDEN_CONFIG, else the
                       embedded config/warden.yaml), relative to the working directory, as the
                       broker takes it; a config with persistence.store: memory is refused

  -h, --help           show this help
`;

export const STORE_HELP = `Usage: warden store <command> [options]

Work on the broker's store (persistence.path: data.mdb and its companions) while no broker has it
open: a running broker holds broker.lock, and every command refuses its store (docs/persistence.md).

Commands (each takes --help):
  check                 read every record and check it; print what the store holds, and the
                        problems found (damaged records, messages whose session is missing)
  compact               rewrite data.mdb without its free pages and swap the copy in
  export [--out FILE]   write every record as JSON Lines to FILE, else stdout
  import [--in FILE]    read an export from FILE, else stdin, into an empty store (--replace:
                        into one whose records it replaces)

${STORE_WHICH}
Exit status: 0 done; 1 check found problems, export left damaged records out, import refused its
input or a store that is not empty, or the config cannot be read; 2 usage error; 4 the store
cannot be opened (missing, damaged, of another format, in use by a broker) or the config's store
is memory.
`;

const STORE_CHECK_HELP = `Usage: warden store check [--path DIR | --config PATH]

Check the store: its data file (LMDB's meta pages, before the file is mapped), its format stamp,
and every record: it decodes, has the shape of a retained message, session, queued message or
delayed will, and is stored under its own key; a queued message whose session is missing is an
orphan. Prints the path, the size of data.mdb, the records per kind, and the problems (the first
20, then how many more).

${STORE_WHICH}
Exit status: 0 no problems; 1 problems found (listed on stdout); 2 usage error; 4 the store cannot
be opened: the message says why.
`;

const STORE_COMPACT_HELP = `Usage: warden store compact [--path DIR | --config PATH]

LMDB reuses the pages that deletes free, but never shrinks data.mdb. Compact writes a copy
without the free pages (in compact.tmp/ in the store's directory), opens and counts it, then
renames it over data.mdb; the original is kept as data.mdb.bak until the copy is in place. Prints
the size of data.mdb before and after.

${STORE_WHICH}
Exit status: 0 compacted; 2 usage error; 4 the store cannot be opened or replaced (a data.mdb.bak
left by an interrupted compaction is refused: move it aside).
`;

const STORE_EXPORT_HELP = `Usage: warden store export [--out FILE] [--path DIR | --config PATH]

Write every record as JSON Lines: a header line {"type":"meta","product":"warden","format":1},
a line per record {"type":"retained"|"session"|"message"|"will","record":{...}} with bytes as
{"$base64":"..."}, and an end line {"type":"end","counts":{...}}. The same store always exports
the same bytes. A record that cannot be read is left out and named on stderr.

  -o, --out FILE       write to FILE (through FILE.partial, renamed when complete), else stdout

${STORE_WHICH}
Exit status: 0 exported; 1 damaged records were left out (the rest is exported), or the output
cannot be written; 2 usage error; 4 the store cannot be opened.
`;

const STORE_IMPORT_HELP = `Usage: warden store import [--in FILE] [--replace] [--path DIR | --config PATH]

Read an export (warden store export) and write its records into the store, which is created if
missing. The whole input is checked first; a line that is wrong is named by its number and
nothing is written. An export imported and exported again gives the same bytes.

  -i, --in FILE        read FILE, else stdin
  --replace            discard the records the store holds (without it, a store that is not empty
                       is refused)

${STORE_WHICH}
Exit status: 0 imported; 1 the input is not a complete export (the message names the line), or the
store is not empty; 2 usage error; 4 the store cannot be opened.
`;

export const STORE_COMMAND_HELP: Readonly<Record<'check' | 'compact' | 'export' | 'import', string>> = {
  check: STORE_CHECK_HELP,
  compact: STORE_COMPACT_HELP,
  export: STORE_EXPORT_HELP,
  import: STORE_IMPORT_HELP,
};
