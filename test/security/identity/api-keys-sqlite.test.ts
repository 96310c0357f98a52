// The API key contract on SQLite.
import { apiKeyContract } from './api-keys-contract.ts';
import { sqliteTarget } from '../../store/targets.ts';

apiKeyContract(sqliteTarget);
