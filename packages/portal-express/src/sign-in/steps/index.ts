import type { Step } from '../step.js';
import { mfaSetupStep } from './mfa-setup.js';
import { migrateStep } from './migrate.js';
import { migratedStep } from './migrated.js';
import { passwordStep } from './password.js';
import { recoveryCodesStep } from './recovery-codes.js';
import { secondFactorStep } from './second-factor.js';
import { staySignedInStep } from './stay-signed-in.js';
import { updatePasswordStep } from './update-password.js';
import { updateProfileStep } from './update-profile.js';
import { usernameStep } from './username.js';

/** Every page of the sign-in, one per state. */
export const signInSteps: readonly Step[] = [
  usernameStep,
  migrateStep,
  migratedStep,
  passwordStep,
  secondFactorStep,
  mfaSetupStep,
  recoveryCodesStep,
  updatePasswordStep,
  updateProfileStep,
  staySignedInStep,
];
