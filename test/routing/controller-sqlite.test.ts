// The RolloutController contract on a SQLite file.
import { sqliteTarget } from '../store/targets.ts';
import { controllerContract } from './controller-contract.ts';

controllerContract(sqliteTarget);
