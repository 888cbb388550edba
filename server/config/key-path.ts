// Key paths locate a value inside the config tree, both for error messages and for
// remembering which values came from ${env:}/${file:} substitution (and so are secret).

export type KeyPath = readonly PropertyKey[];

/** The display form of the whole document's path. */
export const ROOT_PATH = '(root)';

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `listeners[0].options.maxFrameBytes`; keys that are not plain words are quoted: `a["b c"]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? ROOT_PATH : out;
}

/** True when `path` is `prefix` itself or lies underneath it. */
export function isWithin(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => key === path[i]);
}
