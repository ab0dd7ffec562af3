# the designer (bpmn-js, dmn-js) is built with npm from the committed lock file
FROM node:20-slim AS designer
WORKDIR /designer
COPY designer/package.json designer/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY designer/ ./
RUN npm run build

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LENDGRAPH_DESIGNER_DIR=/app/designer/dist
COPY pyproject.toml README.md ./
COPY api ./api
COPY domain ./domain
COPY authz ./authz
COPY bpmn ./bpmn
RUN pip install --no-cache-dir .
COPY --from=designer /designer/dist ./designer/dist
RUN useradd --system --uid 10001 lendgraph
USER lendgraph
EXPOSE 8000
CMD ["lendgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
