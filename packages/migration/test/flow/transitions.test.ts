import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { InvalidTransitionError } from '@porth/identity-core';
import {
  MIGRATION_STATES,
  MIGRATION_TRANSITIONS,
  canMigrationTransition,
  transitionMigration,
  withTemporaryPassword,
  type MigrationRecord,
  type MigrationState,
} from '../../src/index.js';

const DIAGRAM = new URL('../../docs/migration-flow.mermaid', import.meta.url);

/** The state-to-state arrows of the mermaid diagram (`[*]` start and end markers left out). */
function diagramArrows(): string[] {
  const arrows: string[] = [];
  for (const line of readFileSync(DIAGRAM, 'utf8').split('\n')) {
    const match = /^\s*([\w[\]*]+)\s*-->\s*([\w[\]*]+)\s*(?::.*)?$/.exec(line);
    if (!match) continue;
    const [, from, to] = match as unknown as [string, string, string];
    if (from === '[*]' || to === '[*]') continue;
    arrows.push(`${from} -> ${to}`);
  }
  return arrows.sort();
}

function tableArrows(): string[] {
  return MIGRATION_STATES.flatMap((from) =>
    MIGRATION_TRANSITIONS[from].map((to) => `${from} -> ${to}`),
  ).sort();
}

function record(state: MigrationState): MigrationRecord {
  const created = new Date(Date.UTC(2026, 10, 1));
  return {
    accountId: 'a'.repeat(32),
    state,
    version: 3,
    migratedAt: null,
    temporaryPasswordSentAt: null,
    temporaryPasswordExpiresAt: null,
    temporaryPasswordResends: 0,
    firstSignInAt: null,
    completedAt: null,
    createdAt: created,
    updatedAt: created,
  };
}

describe('migration state machine', () => {
  it('draws every transition of the table in the diagram, and nothing else', () => {
    const drawn = diagramArrows();
    expect(drawn).to.have.length.above(0);
    expect(drawn).to.deep.equal(tableArrows());
  });

  it('names only known states in the diagram', () => {
    for (const arrow of diagramArrows()) {
      for (const state of arrow.split(' -> ')) expect(MIGRATION_STATES).to.include(state);
    }
  });

  it('leads from legacy to active through migrated and required_actions only', () => {
    expect(MIGRATION_TRANSITIONS).to.deep.equal({
      legacy: ['migrated'],
      migrated: ['required_actions'],
      required_actions: ['active'],
      active: [],
    });
  });

  it('refuses every move the table does not list, with InvalidTransitionError', () => {
    for (const from of MIGRATION_STATES) {
      for (const to of MIGRATION_STATES) {
        if (canMigrationTransition(from, to)) {
          expect(transitionMigration(record(from), to, new Date()).state).to.equal(to);
        } else {
          expect(() => transitionMigration(record(from), to, new Date()))
            .to.throw(InvalidTransitionError)
            .with.property('code', 'INVALID_TRANSITION');
        }
      }
    }
  });

  it('stamps the moment each state began and leaves the input unchanged', () => {
    const start = record('legacy');
    const t1 = new Date(Date.UTC(2026, 10, 2));
    const t2 = new Date(Date.UTC(2026, 10, 3));
    const t3 = new Date(Date.UTC(2026, 10, 4));
    const migrated = transitionMigration(start, 'migrated', t1);
    const signedIn = transitionMigration(migrated, 'required_actions', t2);
    const active = transitionMigration(signedIn, 'active', t3);
    expect(start.state).to.equal('legacy');
    expect(start.migratedAt).to.equal(null);
    expect(active).to.include({ state: 'active', version: 3 });
    expect(active.migratedAt).to.deep.equal(t1);
    expect(active.firstSignInAt).to.deep.equal(t2);
    expect(active.completedAt).to.deep.equal(t3);
    expect(active.updatedAt).to.deep.equal(t3);
  });

  it('counts a temporary password sent again as a resend, but not the first one', () => {
    const t1 = new Date(Date.UTC(2026, 10, 2));
    const t2 = new Date(Date.UTC(2026, 10, 3));
    const first = withTemporaryPassword(record('migrated'), t1, new Date(t1.getTime() + 1000));
    expect(first.temporaryPasswordResends).to.equal(0);
    const again = withTemporaryPassword(first, t2, new Date(t2.getTime() + 1000));
    expect(again.temporaryPasswordResends).to.equal(1);
    expect(again.temporaryPasswordSentAt).to.deep.equal(t2);
    expect(again.state).to.equal('migrated');
  });
});
