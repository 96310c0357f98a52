// The registry contract on the real PostgreSQL, in a schema of its own, with two replicas.
import { registryContract } from './contract.ts';
import { postgresTarget } from '../../store/targets.ts';

registryContract(postgresTarget);
