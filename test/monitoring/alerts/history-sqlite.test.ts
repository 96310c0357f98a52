// The AlertHistory contract on SQLite (a fresh database file per test) and in memory.
import { memoryHistory } from '../../../src/monitoring/alerts/index.ts';
import { sqliteTarget } from '../../store/targets.ts';
import { historyContract, storeHistoryTarget } from './history-contract.ts';

historyContract({
  label: 'memory',
  async open() {
    return { history: memoryHistory(), close: async () => undefined };
  },
});

historyContract(storeHistoryTarget('sqlite', sqliteTarget));
