// `npm start`: the embedded hub (hub/src/main.ts), run from its compiled form
// (scripts/build-hub.js: built at `npm install`, rebuilt here first when a source changed since),
// or from the TypeScript sources through tsx when it cannot be compiled here. Stack traces then
// name lines of the compiled file; `NODE_OPTIONS=--enable-source-maps npm start` maps them to the
// TypeScript sources (it costs a second or more of start-up: every package's maps get read).
const path = require('node:path');
const { compiledEntry } = require('./build-hub');

compiledEntry()
  .builtHub()
  .then((built) => {
    if (built) {
      require(built);
    } else {
      require('tsx/cjs');
      require(path.join(__dirname, '..', 'hub', 'src', 'main.ts'));
    }
  });
