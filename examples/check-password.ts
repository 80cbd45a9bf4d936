// Checks a password against Porth's policy without any web framework, the way another system
// would: `npm run example:password -- 'Summer2024!' --given Siân --family Jones`
import { checkPassword, passwordPolicyHint } from '@porth/identity-core';

const [password, ...rest] = process.argv.slice(2);
if (password === undefined) {
  console.error(
    'usage: npm run example:password -- PASSWORD [--given NAME] [--family NAME] [--username NAME]',
  );
  process.exit(2);
}
const option = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};

const problems = checkPassword(password, {
  givenName: option('given'),
  familyName: option('family'),
  username: option('username'),
});
if (problems.length === 0) {
  console.log('Acceptable. / Derbyniol.');
} else {
  const hint = passwordPolicyHint();
  console.log(`${hint.en}\n${hint.cy}\n`);
  for (const p of problems) console.log(`- [${p.code}] ${p.message.en}\n  ${p.message.cy}`);
  process.exitCode = 1;
}
