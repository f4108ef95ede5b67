import type { Metadata } from "next";
import { Owner } from "@/components/owner";

// The owner's page: not linked from the chat, and kept out of search engines.
export const metadata: Metadata = {
  title: "Owner view · Digital Twin",
  robots: { index: false, follow: false },
};

export default function OwnerPage() {
  return <Owner />;
}
