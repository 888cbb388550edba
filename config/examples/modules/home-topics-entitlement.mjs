// An example entitlement module written as a user would write one (docs/entitlement.md,
// "Writing your own module"). Load it from a config file:
//
//   security:
//     entitlement:
//       module: ./modules/home-topics-entitlement.mjs   # relative to the config file
//       options:
//         publicPrefix: public/        # everyone may read topics starting with this
//         publishers: [newsdesk]       # these users may also write them
//         admins: [root]               # these users may also use the admin interface
//
// Policy: every user may read and write below `home/<their name>/`, read anything starting with
// `publicPrefix` (and write it if listed in `publishers`), and nothing else. An empty user name (implicit logon) gets the public topics only.
//
// The default export is a factory: (options, context) => module. `context.log` is a pino logger,
// `context.configPath` says where the module is configured (use it in option errors).

export default function createHomeTopicsEntitlement(options, context) {
  const publicPrefix = options.publicPrefix ?? 'public/';
  const admins = new Set(options.admins ?? []);
  const publishers = new Set(options.publishers ?? []);
  if (typeof publicPrefix !== 'string') {
    throw new Error(`${context.configPath}.options.publicPrefix: expected a string`);
  }
  let checks = 0;

  return {
    name: 'home-topics',
    // Answers may be synchronous (as here) or promises; the broker caches them per
    // (user, action, resource) until an entitlement reset.
    check({ user, action, resourceType, resource }) {
      checks++;
      if (resourceType === 'logon') return { allow: true };
      if (resourceType === 'admin') return { allow: admins.has(user) };
      const home = `home/${user}/`;
      // A user name containing "/" could otherwise reach into another user's home.
      const ownsTopic = user !== '' && !user.includes('/') && resource.startsWith(home);
      const isPublic = resource.startsWith(publicPrefix);
      if (action === 'write') return { allow: ownsTopic || (isPublic && publishers.has(user)) };
      return { allow: ownsTopic || isPublic };
    },
    // Called on an entitlement reset; a module that loads rules from outside would reload here.
    reset() {
      context.log.info({ checks }, 'home-topics entitlement reset');
      checks = 0;
    },
  };
}
