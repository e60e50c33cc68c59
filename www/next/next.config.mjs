// Nothing Clerk-specific: @clerk/nextjs reads its configuration from the environment
// (NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY, CLERK_API_URL, NEXT_PUBLIC_CLERK_PROXY_URL,
// NEXT_PUBLIC_CLERK_JS_URL, NEXT_PUBLIC_CLERK_PREFETCH_UI; see run.mjs).
/** @type {import('next').NextConfig} */
const nextConfig = {
  // This folder is the app's root, whatever lockfiles the folders above it have.
  turbopack: { root: import.meta.dirname },
};

export default nextConfig;
