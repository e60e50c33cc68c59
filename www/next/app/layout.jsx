import { ClerkProvider, Show, SignOutButton } from '@clerk/nextjs';
import { SignInForm } from './sign-in-form';

export const metadata = { title: 'clerk-rs + Next.js' };

export default function RootLayout({ children }) {
  return (
    <ClerkProvider>
      <html lang="en">
        <body>
          <header>
            <Show when="signed-out">
              <SignInForm />
            </Show>
            <Show when="signed-in">
              <SignOutButton>
                <button data-testid="sign-out">Sign out</button>
              </SignOutButton>
            </Show>
          </header>
          <main>{children}</main>
        </body>
      </html>
    </ClerkProvider>
  );
}
