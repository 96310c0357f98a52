// Migration 8: ground-truth labels, one row per labelled request. The primary key is what lets a
// request be labelled once whichever replica receives the label, and the rows are the ground truth
// a team can export to retrain. Times are ISO-8601 text.
import type { Migration } from './types.ts';

export const feedbackLabels: Migration = {
  id: 8,
  name: 'feedback labels',
  async up(db) {
    await db.schema
      .createTable('feedback_labels')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('predicted', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('feedback_labels_pk', ['model', 'request_id'])
      .execute();
  },
};
