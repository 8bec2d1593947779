// wire.js reads the server's constants from the page (#dashboard's data-wire) when imported:
// give it a page holding the server's own (make jstest passes them: dashboard.wire), never a copy.
const wire = process.env.RTVIZ_WIRE;
if (!wire) throw new Error('RTVIZ_WIRE is not set: run the JS tests with `make jstest`');
globalThis.document ??= { getElementById: () => ({ dataset: { wire } }) };
