"""The publish asset: only a build whose blocking checks passed replaces the serving file."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from dealledger.assets.ingest import DUCKDB_WRITER_POOL
from dealledger.resources import Warehouse
from dealledger.serving.publish import MartTable, publish_marts


def build_publish_asset(marts: list[MartTable]) -> AssetsDefinition:
    @asset(
        key=AssetKey(["serving_database"]),
        deps=[AssetKey([mart.name]) for mart in marts],
        group_name="publish",
        pool=DUCKDB_WRITER_POOL,
        description="The file BI tools read: the checked marts, copied into a new file and renamed "
        "over the old one. Runs only when every blocking check upstream passed.",
    )
    def serving_database(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
        row_counts = publish_marts(
            warehouse.build_db, warehouse.serving_db, marts, context.run.run_id, warehouse.duckdb_config
        )
        return MaterializeResult(
            metadata={
                "path": str(warehouse.serving_db),
                **{f"rows_{name}": n for name, n in row_counts.items()},
            }
        )

    return serving_database
