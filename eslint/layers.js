// The layers of src/, lowest first. A folder may import only from the layers
// below its own; folders of one layer never import each other. `npm run lint`
// (part of `npm test`) fails on an import that runs against this order, and
// docs/architecture.md draws it.
export const LAYERS = [
  ['protocol'], // pure wire rules: frames, error catalog, channel names, signatures
  ['logging'],
  ['events'], // the domain event bus: one emitter per fact
  ['apps'], // the App model and where apps come from
  ['adapter'], // the scaling boundary: routing and shared state, local and Redis
  ['connection'], // one Connection per client, the gateway that admits it
  ['channels'], // subscribe, unsubscribe, publish; presence membership
  ['handlers'], // one handler per client frame
  ['http'], // the HTTP edge: bodies, errors, JSON answers
  ['observability'], // metrics read from the event bus; health and metrics endpoints
  ['api', 'transport', 'webhooks'], // signed HTTP API; WebSocket and HTTP fallback; webhooks
  ['console'], // the debug console and the stats endpoints
  ['config'], // settings of every part, validated at start
  ['server.ts'], // composes the parts
  ['cli'],
];

/**
 * Folders of src/ outside the layers: libraries of their own that apps bundle
 * (client/: the browser and Node half of resume). They import only their own
 * files (no package, no Node built-in, nothing of the server), and no layer
 * imports them.
 */
export const STANDALONE = ['client'];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const specifierOf = (name) => (name.endsWith('.ts') ? `${escape(name.slice(0, -3))}\\.js$` : `${escape(name)}/`);

/** ESLint config blocks: for each folder, `no-restricted-imports` of every folder at or above its layer. */
export function layerRules() {
  return LAYERS.flatMap((layer, rank) =>
    layer
      .filter((name) => !name.endsWith('.ts'))
      .map((folder) => ({ folder, forbidden: [...LAYERS.slice(rank).flat().filter((name) => name !== folder), ...STANDALONE] }))
      .filter(({ forbidden }) => forbidden.length > 0)
      .map(({ folder, forbidden }) => {
        return {
          files: [`src/${folder}/**/*.ts`],
          rules: {
            'no-restricted-imports': [
              'error',
              {
                patterns: [
                  {
                    regex: `^(\\.\\./)+(${forbidden.map(specifierOf).join('|')})`,
                    message: `${folder}/ may import only from the layers below it (eslint/layers.js): ${LAYERS.slice(0, rank).flat().join(', ') || 'none'}.`,
                  },
                ],
              },
            ],
          },
        };
      }),
  ).concat(
    [
      {
        files: ['src/*.ts'],
        rules: {
          'no-restricted-imports': [
            'error',
            { patterns: [{ regex: `^\\./(${STANDALONE.map(escape).join('|')})/`, message: `${STANDALONE.join(', ')}/ stand outside the layers (eslint/layers.js): the server does not import them.` }] },
          ],
        },
      },
    ],
    STANDALONE.map((folder) => ({
      files: [`src/${folder}/**/*.ts`],
      ignores: [`src/${folder}/**/*.test.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ regex: '^(?!\\./)', message: `${folder}/ stands alone (eslint/layers.js): it imports only its own files, no package, no Node built-in, nothing of the server.` }] },
        ],
      },
    })),
  );
}
