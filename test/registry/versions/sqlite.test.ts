// The registry contract on a SQLite file.
import { registryContract } from './contract.ts';
import { sqliteTarget } from '../../store/targets.ts';

registryContract(sqliteTarget);
