import type { Step } from '../step.js';
import { passwordStep } from './password.js';
import { secondFactorStep } from './second-factor.js';
import { staySignedInStep } from './stay-signed-in.js';
import { usernameStep } from './username.js';

/** Every page of the sign-in, one per state. */
export const signInSteps: readonly Step[] = [
  usernameStep,
  passwordStep,
  secondFactorStep,
  staySignedInStep,
];
