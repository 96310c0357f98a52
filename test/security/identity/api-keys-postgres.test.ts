// The API key contract on the real PostgreSQL (DATABASE_URL or the local server), in a fresh schema
// dropped afterwards; an unreachable server fails every test with how to fix it.
import { apiKeyContract } from './api-keys-contract.ts';
import { postgresTarget } from '../../store/targets.ts';

apiKeyContract(postgresTarget);
