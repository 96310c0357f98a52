// The RolloutController contract on the real PostgreSQL, in a schema of its own.
import { postgresTarget } from '../store/targets.ts';
import { controllerContract } from './controller-contract.ts';

controllerContract(postgresTarget);
