// Child process for the "two replicas start at once" test: opens the store given as JSON in argv,
// prints the applied migration ids, closes. Not a test file itself.
import { openStore, type StoreOptions } from '../../src/store/index.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as StoreOptions;
const store = await openStore(options);
process.stdout.write(JSON.stringify(await store.appliedMigrations()));
await store.close();
