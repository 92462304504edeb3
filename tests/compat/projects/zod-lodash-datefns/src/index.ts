import { z } from "zod";
import { groupBy, sortBy, sumBy, chunk, kebabCase } from "lodash-es";
import { addDays, differenceInCalendarDays, format, parseISO } from "date-fns";

const Order = z.object({ sku: z.string(), qty: z.number().int().positive(), price: z.number().nonnegative(), day: z.iso.date() });
const Orders = z.array(Order).min(1);

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/report") {
      const parsed = Orders.safeParse(await request.json());
      if (!parsed.success) {
        return Response.json({ error: "invalid orders", issues: parsed.error.issues.length }, { status: 422 });
      }
      const bySku = groupBy(parsed.data, "sku");
      const totals = sortBy(Object.entries(bySku).map(([sku, rows]) => ({ sku, revenue: sumBy(rows, (r) => r.qty * r.price) })), "sku");
      const days = parsed.data.map((o) => parseISO(o.day)).sort((a, b) => a.getTime() - b.getTime());
      return Response.json({
        totals,
        span: differenceInCalendarDays(days[days.length - 1], days[0]),
        pages: chunk(totals, 2).length,
      });
    }
    if (url.pathname === "/due") {
      const start = parseISO(url.searchParams.get("from") ?? "2024-01-30");
      return Response.json({ due: format(addDays(start, 30), "yyyy-MM-dd"), slug: kebabCase("Invoice Due Date") });
    }
    return new Response("try POST /report", { status: 404 });
  },
};
