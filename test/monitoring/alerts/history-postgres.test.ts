// The AlertHistory contract on the real PostgreSQL (DATABASE_URL or the local server), a fresh schema
// per test, dropped afterwards; an unreachable server fails the tests, it does not skip them.
import { postgresTarget } from '../../store/targets.ts';
import { historyContract, storeHistoryTarget } from './history-contract.ts';

historyContract(storeHistoryTarget('postgres', postgresTarget));
