/** A sentence for the person at the admin screen, in both of the product's languages. */
export interface Explanation {
  id: string;
  en: string;
}
