import type { TransitionTable } from '@porth/identity-core';
import type { SignInState } from './states.js';

/**
 * Every move the sign-in machine allows, written once. Anything else throws
 * InvalidTransitionError; see ../../docs/sign-in-flow.mermaid for the picture.
 */
export const SIGN_IN_TRANSITIONS: TransitionTable<SignInState> = {
  username: ['password', 'migrate'],
  migrate: ['migrated', 'username'],
  migrated: ['username'],
  password: ['username', 'second_factor', 'mfa_setup', 'migrated'],
  second_factor: ['second_factor', 'update_password', 'update_profile', 'stay_signed_in'],
  mfa_setup: ['mfa_setup', 'recovery_codes'],
  recovery_codes: ['update_password', 'update_profile', 'stay_signed_in'],
  update_password: ['update_profile', 'stay_signed_in'],
  update_profile: ['stay_signed_in'],
  stay_signed_in: ['done'],
  done: [],
};
