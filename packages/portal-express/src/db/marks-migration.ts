import type { Knex } from 'knex';
import { createTable, type Migration } from '@porth/identity-core';

/**
 * The Portal's mark-input services (IAMIS and EMI):
 * - `mark_units`: a unit of a series (`3000N1`, "WELSH LANGUAGE UNED 1 - LLAFAR", max mark),
 *   either a moderated internal assessment (the centre marks, a moderator samples) or examined
 *   (an examiner marks in EMI);
 * - `mark_allocations` (+ `mark_allocation_centres`): an appointee's role on a unit — examiner,
 *   moderator or principal moderator — for every centre or for the centres listed;
 * - `mark_candidates`: the candidates of a unit at each centre, and whether each is in the
 *   moderation sample;
 * - `marks`: one row per candidate per source (`centre`, `examiner`, `moderator`), a draft
 *   until submitted; a submitted row is never changed (every write says `status = 'draft'`);
 * - `moderation_reports`: one completed moderator report per unit and centre (primary key).
 */
export const createMarks: Migration = {
  name: '20261125T0100_marks',
  async up(db: Knex) {
    await createTable(db, 'mark_units', (t) => {
      t.string('id', 32).primary();
      t.string('series', 60).notNullable();
      t.string('code', 20).notNullable();
      t.string('title', 200).notNullable();
      t.integer('max_mark').notNullable();
      t.string('kind', 24).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['series', 'code']);
      t.check('max_mark > 0 AND max_mark <= 9999', undefined, 'mark_units_max_mark');
      t.check("kind IN ('internal_assessment', 'examined')", undefined, 'mark_units_kind');
    });

    await createTable(db, 'mark_allocations', (t) => {
      t.string('id', 32).primary();
      t.string('account_id', 32).notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('unit_id', 32).notNullable().references('mark_units.id').onDelete('CASCADE');
      t.string('role', 24).notNullable();
      t.boolean('all_centres').notNullable().defaultTo(false);
      t.bigInteger('created_at').notNullable();
      t.unique(['account_id', 'unit_id', 'role']);
      t.index(['unit_id']);
      t.check(
        "role IN ('examiner', 'moderator', 'principal_moderator')",
        undefined,
        'mark_allocations_role',
      );
    });

    await createTable(db, 'mark_allocation_centres', (t) => {
      t.string('allocation_id', 32)
        .notNullable()
        .references('mark_allocations.id')
        .onDelete('CASCADE');
      t.string('centre_number', 5).notNullable();
      t.primary(['allocation_id', 'centre_number']);
    });

    await createTable(db, 'mark_candidates', (t) => {
      t.string('id', 32).primary();
      t.string('unit_id', 32).notNullable().references('mark_units.id').onDelete('CASCADE');
      t.string('centre_number', 5).notNullable();
      t.string('candidate_number', 4).notNullable();
      t.string('name', 200).notNullable();
      t.boolean('in_sample').notNullable().defaultTo(false);
      t.unique(['unit_id', 'centre_number', 'candidate_number']);
    });

    await createTable(db, 'marks', (t) => {
      t.string('candidate_id', 32)
        .notNullable()
        .references('mark_candidates.id')
        .onDelete('CASCADE');
      t.string('source', 10).notNullable();
      t.string('outcome', 16).notNullable();
      t.integer('mark').nullable();
      t.string('status', 10).notNullable();
      /** The examiner or moderator whose mark it is; null for a centre's mark. */
      t.string('owner_id', 32).nullable();
      t.string('entered_by', 32).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('submitted_at').nullable();
      t.string('submitted_by', 32).nullable();
      t.integer('version').notNullable().defaultTo(1);
      t.primary(['candidate_id', 'source']);
      t.index(['owner_id']);
      t.check("source IN ('centre', 'examiner', 'moderator')", undefined, 'marks_source');
      t.check("status IN ('draft', 'submitted')", undefined, 'marks_status');
      t.check(
        "(outcome = 'mark' AND mark IS NOT NULL AND mark >= 0) OR " +
          "(outcome IN ('absent', 'carried_forward') AND mark IS NULL)",
        undefined,
        'marks_outcome',
      );
      t.check(
        "(status = 'draft' AND submitted_at IS NULL) OR (status = 'submitted' AND submitted_at IS NOT NULL)",
        undefined,
        'marks_submitted',
      );
    });

    await createTable(db, 'moderation_reports', (t) => {
      t.string('unit_id', 32).notNullable().references('mark_units.id').onDelete('CASCADE');
      t.string('centre_number', 5).notNullable();
      t.string('moderator_id', 32).notNullable();
      t.bigInteger('completed_at').notNullable();
      t.primary(['unit_id', 'centre_number']);
    });
  },
  async down(db: Knex) {
    for (const table of [
      'moderation_reports',
      'marks',
      'mark_candidates',
      'mark_allocation_centres',
      'mark_allocations',
      'mark_units',
    ]) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

/** The schema changes of the Portal's mark-input services. */
export const marksMigrations: readonly Migration[] = [createMarks];
